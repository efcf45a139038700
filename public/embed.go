// Package public holds the static assets served under /public/: vendored
// htmx and its SSE extension (the Taskfile's vendor task), ECharts trimmed
// to what the pages use (built from src/echarts.js by the echarts task), the
// Tailwind build app.css and our app.js.
package public

import "embed"

// FS holds the assets at its root, e.g. FS.Open("app.js").
//
//go:embed *.js *.css *.svg
var FS embed.FS
