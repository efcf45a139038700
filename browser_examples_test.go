package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserExamplesAndDynamics trains 2 epochs with the dashboard open:
// the learned-and-forgotten panel counts both epochs (live with JavaScript,
// after the refresh without); a heatmap cell's click (a table cell's link
// without JavaScript) lists that cell's test images with their top-3 bars;
// the dynamics page shows a group's gallery. Screenshots at 1440 and 375 px.
func TestBrowserExamplesAndDynamics(t *testing.T) { browserExamplesAndDynamics(t, true) }

func TestBrowserExamplesAndDynamicsWithoutJavaScript(t *testing.T) {
	browserExamplesAndDynamics(t, false)
}

// browserBusiestMistake is the off-diagonal cell of the matrix table with
// the most images, as "true,pred"; the busiest right answers when the model
// made no mistake (the test images of the browser tests are easy).
const browserBusiestMistake = `(() => {
	let best = [-1, -1, 0], right = [-1, -1, 0];
	document.querySelectorAll('#confusion-table tbody tr').forEach((tr, i) => {
		tr.querySelectorAll('td').forEach((td, j) => {
			const n = Number(td.textContent.trim());
			if (i !== j && n > best[2]) best = [i, j, n];
			if (i === j && n > right[2]) right = [i, j, n];
		});
	});
	return (best[0] >= 0 ? best : right).slice(0, 2).join(',');
})()`

// browserCellPositionJS scrolls the heatmap into view and gives the
// position of its cell [pred, true] in the viewport.
const browserCellPositionJS = `((pred, tru) => {
	const el = document.getElementById('confusion-heatmap');
	el.scrollIntoView({block: 'center'});
	const chart = echarts.getInstanceByDom(el);
	const [x, y] = chart.convertToPixel({seriesIndex: 0}, [pred, tru]);
	const r = el.getBoundingClientRect();
	return [r.left + x, r.top + y].join(',');
})`

func browserExamplesAndDynamics(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.navigate(t, origin+"/")
	browserTrainRuns(t, origin, `{"epochs":2,"train_limit":256,"batch_size":32}`)
	if javaScript {
		b.waitFor(t, "the live dynamics of epoch 2", browserStepTimeout,
			"document.getElementById('dynamics-epoch')?.textContent === '2' && document.querySelectorAll('#dynamics-table tbody tr').length === 2")
		if loads := b.pageLoads(); len(loads) != 1 {
			t.Errorf("the page was loaded %d times; the dynamics should arrive live", len(loads))
		}
	} else {
		b.navigate(t, origin+"/")
	}
	rows := b.evalInt(t, "document.querySelectorAll('#dynamics-table tbody tr').length")
	if rows != 2 {
		t.Fatalf("the dynamics table has %d epochs, want 2", rows)
	}
	// Each epoch's images split into right, forgotten and wrong; right is
	// learned plus stayed right.
	for i := range 2 {
		cells := b.eval(t, "[...document.querySelectorAll('#dynamics-table tbody tr')["+strconv.Itoa(i)+"].querySelectorAll('td')].slice(0, 6).map(td => td.textContent.trim()).join(',')")
		var n [6]int
		for k, s := range splitComma(cells) {
			n[k], _ = strconv.Atoi(s)
		}
		if n[1] != n[2]+n[3] || n[1] > browserTestImages || n[5] > browserTestImages-n[1] {
			t.Errorf("epoch %d's counts %s do not add up (epoch, right, learned, stayed right, forgotten, never right)", i+1, cells)
		}
	}
	b.browserShotAt(t, "1-dashboard-dynamics")
	b.checkAccessible(t, "the dashboard with the dynamics panel")

	// A mistake's cell lists its images.
	cell := splitComma(b.eval(t, browserBusiestMistake))
	if cell[0] == "-1" {
		t.Fatal("the matrix is empty")
	}
	if javaScript {
		pos := splitComma(b.eval(t, browserCellPositionJS+"("+cell[1]+","+cell[0]+")"))
		x, _ := strconv.ParseFloat(pos[0], 64)
		y, _ := strconv.ParseFloat(pos[1], 64)
		b.do(t, "click the heatmap cell", chromedp.MouseClickXY(x, y))
	} else {
		row, _ := strconv.Atoi(cell[0])
		col, _ := strconv.Atoi(cell[1])
		b.click(t, "#confusion-table tbody tr:nth-child("+strconv.Itoa(row+1)+") td:nth-of-type("+strconv.Itoa(col+1)+") a")
	}
	b.waitFor(t, "the cell's examples", browserTrainingTimeout,
		"location.pathname === '/runs/1/examples' && document.querySelectorAll('#examples-grid li.example').length > 0")
	want := "?epoch=2&true=" + cell[0] + "&pred=" + cell[1]
	if got := b.eval(t, "location.search"); got != want {
		t.Errorf("the cell led to %s, want %s", got, want)
	}
	if n := b.evalInt(t, "[...document.querySelectorAll('#examples-grid li.example')].filter(li => li.querySelectorAll('li.top3').length === 3).length"); n != b.evalInt(t, "document.querySelectorAll('#examples-grid li.example').length") {
		t.Errorf("only %d images have their top-3 bars", n)
	}
	if !b.evalBool(t, "[...document.querySelectorAll('#examples-grid img')].every(img => img.complete && img.naturalWidth > 0)") {
		b.waitFor(t, "the images to load", browserStepTimeout, "[...document.querySelectorAll('#examples-grid img')].every(img => img.complete && img.naturalWidth > 0)")
	}
	b.browserShotAt(t, "2-examples")
	b.checkAccessible(t, "the examples page")

	// The dynamics page's galleries, each as long as its count (48 at most).
	for _, g := range []struct{ query, link string }{
		{"group=never_right", "tr:nth-child(2) a.never-right"},
		{"group=forgotten&epoch=2", "tr:nth-child(2) a.forgotten"},
		{"group=learned&epoch=1", "tr:nth-child(1) a.learned"}, // not empty: the screenshot's
	} {
		b.navigate(t, origin+"/runs/1/dynamics?"+g.query)
		want := min(48, b.evalInt(t, "Number(document.querySelector('#dynamics-table tbody "+g.link+"').textContent)"))
		if got := b.evalInt(t, "document.querySelectorAll('#gallery-grid li').length"); got != want {
			t.Errorf("the gallery at ?%s shows %d images, want %d", g.query, got, want)
		}
	}
	b.browserShotAt(t, "3-dynamics-page")
	b.checkAccessible(t, "the dynamics page")
	b.checkClean(t)
}

// browserShotAt saves screenshots at 1440 and 375 px, where the page must
// not scroll sideways: the examples and dynamics pages have none of the
// dashboard's panels that stageAt checks.
func (b *browserSession) browserShotAt(t *testing.T, name string) {
	t.Helper()
	b.atWidths(t, name, b.screenshot)
}

func splitComma(s string) []string { return strings.Split(s, ",") }
