// Starts Swagger UI on the docs page (src/docs_page/index.html) over the document this server
// publishes. The document's server URL is relative ("/"), so "Try it out" calls this server.
// The token given to "Authorize" is kept in this browser's localStorage across reloads.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    validatorUrl: null,  // the public validator is a third-party service: never call it
  });
});
