package systemview

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func render(t *testing.T, s fmnist.SystemSample) string {
	t.Helper()
	var b strings.Builder
	if err := Panel(s).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPanelShowsTheLatestSample(t *testing.T) {
	html := render(t, fmnist.SystemSample{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CPUPercent: 187.4,
		RSSBytes: 300 << 20, Goroutines: 23, ImagesPerSec: 4321.6, KernelPath: "avx2"})
	for _, want := range []string{`id="system-panel"`, `sse-swap="system"`, ">187%<", ">300 MiB<", ">23<", ">4,322<", ">AVX2<", ">03:04:05<"} {
		if !strings.Contains(html, want) {
			t.Errorf("panel lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "estimates") {
		t.Error("a /proc sample is called an estimate")
	}
	if !strings.Contains(render(t, fmnist.SystemSample{Time: time.Now(), Estimated: true, KernelPath: "generic"}), "pure Go") {
		t.Error("the generic kernel is not called pure Go")
	}
}

func TestPanelBeforeTheFirstSample(t *testing.T) {
	html := render(t, fmnist.SystemSample{})
	if !strings.Contains(html, "Sampled every 2 seconds") || strings.Contains(html, "<dl") {
		t.Errorf("empty panel:\n%s", html)
	}
}
