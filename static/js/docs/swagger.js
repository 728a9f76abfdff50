// Starts Swagger UI on /docs from this server's copy of swagger-ui-dist: a module rather
// than FastAPI's inline script, which the Content-Security-Policy refuses.
// (Modules run after the deferred classic bundle, so SwaggerUIBundle is defined here.)
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapi,
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [window.SwaggerUIBundle.presets.apis],
});
