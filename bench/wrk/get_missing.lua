-- GET of an id that does not exist: a 404 every time (wrk counts them as "non-2xx").
function request()
  return wrk.format("GET", "/users/no-such-user-0000")
end
