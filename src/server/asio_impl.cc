// The one translation unit that compiles Asio and Beast.
//
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are defined for the whole
// build, so every other file that includes Asio or Beast sees declarations only; their
// definitions are compiled once, here, instead of in every includer.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
