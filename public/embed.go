// Package public holds the static assets served under /public/: vendored
// htmx, its SSE extension and ECharts (see the Taskfile's vendor task), the
// Tailwind build app.css and our app.js.
package public

import "embed"

// FS holds the assets at its root, e.g. FS.Open("app.js").
//
//go:embed *.js *.css *.svg
var FS embed.FS
