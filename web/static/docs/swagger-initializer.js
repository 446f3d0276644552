// Starts Swagger UI on /docs (web/templates/docs/api.html). A file of this origin, so the
// page's Content-Security-Policy allows no inline script. The spec's address is the
// page's to give (data-spec on #swagger-ui); no validator badge, which would call out.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
  });
});
