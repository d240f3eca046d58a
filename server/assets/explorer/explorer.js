// Starts GraphiQL against this server's /graphql endpoint. Loaded as a file, never inline, so the
// page's Content-Security-Policy can forbid inline scripts.
(function () {
  var root = document.getElementById('graphiql');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: '# Chorus: press the play button, or Ctrl-Enter.\n' +
        '# The docs (book icon) list every type; Authorization headers go in Headers below.\n' +
        '{\n  locales { code name }\n  resources(first: 3) {\n    edges { node { id title kind publishedOn } }\n  }\n}\n',
    })
  );
})();
