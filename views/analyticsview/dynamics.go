package analyticsview

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// DynamicsView is what the dynamics panel and page show of a run: the
// counts per epoch, and one page of a group's images.
type DynamicsView struct {
	Run     int64
	Images  int
	Epochs  []fmnist.EpochDynamics
	Group   fmnist.DynamicsGroup
	Epoch   int // the group's epoch
	Total   int // images in the group
	Offset  int
	Items   []GalleryItem
	Hardest []GalleryItem // the panel's strip: the images that flipped most
	Live    bool          // the panel follows the run's "confusion" events
	Problem string        // why the page has no group to show
}

// GalleryItem is a test image of a group.
type GalleryItem struct {
	fmnist.Flip
	Label int
}

// DynamicsURL is the gallery of group at epoch (0: the newest), from image
// offset.
func DynamicsURL(run int64, g fmnist.DynamicsGroup, epoch, offset int) string {
	v := url.Values{"group": {string(g)}}
	if epoch > 0 {
		v.Set("epoch", strconv.Itoa(epoch))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return fmt.Sprintf("/runs/%d/dynamics?%s", run, v.Encode())
}

// DynamicsPanelURL is the panel alone, fetched again at each epoch's end;
// run 0 is the newest run (the dashboard before its run exists).
func DynamicsPanelURL(run int64) string {
	if run <= 0 {
		return "/runs/latest/dynamics/panel"
	}
	return "/runs/" + strconv.FormatInt(run, 10) + "/dynamics/panel"
}

// GroupName is how the pages name a group.
func GroupName(g fmnist.DynamicsGroup) string {
	switch g {
	case fmnist.GroupLearned:
		return "learned"
	case fmnist.GroupForgotten:
		return "forgotten"
	case fmnist.GroupNeverRight:
		return "never right"
	case fmnist.GroupFlipping:
		return "flipping most often"
	}
	return string(g)
}

// groupHeading says what the gallery lists.
func (v DynamicsView) groupHeading() string {
	switch v.Group {
	case fmnist.GroupLearned:
		return fmt.Sprintf("Learned at epoch %d: wrong before, right now", v.Epoch)
	case fmnist.GroupForgotten:
		return fmt.Sprintf("Forgotten at epoch %d: right before, wrong now", v.Epoch)
	case fmnist.GroupNeverRight:
		return fmt.Sprintf("Never right up to epoch %d", v.Epoch)
	}
	return fmt.Sprintf("Flipping most often up to epoch %d", v.Epoch)
}

// newest is the newest epoch's counts.
func (v DynamicsView) newest() fmnist.EpochDynamics {
	if len(v.Epochs) == 0 {
		return fmnist.EpochDynamics{}
	}
	return v.Epochs[len(v.Epochs)-1]
}

// segment is one part of an epoch's stacked bar.
type segment struct {
	Name, Class string
	Count       int
}

// segments split an epoch's images: stayed right, learned, forgotten,
// wrong again (right once, not now nor just before), never right.
func (v DynamicsView) segments(e fmnist.EpochDynamics) []segment {
	wrongAgain := v.Images - e.Right - e.Forgotten - e.NeverRight
	return []segment{
		{"stayed right", "bg-emerald-600", e.StayedRight},
		{"learned", "bg-sky-500", e.Learned},
		{"forgotten", "bg-amber-500", e.Forgotten},
		{"wrong again", "bg-slate-400", max(0, wrongAgain)},
		{"never right", "bg-red-700", e.NeverRight},
	}
}

func (v DynamicsView) segmentStyle(n int) string {
	if v.Images == 0 {
		return "width: 0"
	}
	return fmt.Sprintf("width: %.2f%%", 100*float64(n)/float64(v.Images))
}

// pageURL is the gallery step images further, "" when there is none.
func (v DynamicsView) pageURL(step int) string {
	o := v.Offset + step
	if o < 0 || o >= v.Total || len(v.Items) == 0 {
		return ""
	}
	return DynamicsURL(v.Run, v.Group, v.Epoch, o)
}

func (v DynamicsView) rangeText() string {
	if len(v.Items) == 0 {
		return "no images in this group"
	}
	return fmt.Sprintf("%d–%d of %d images", v.Offset+1, v.Offset+len(v.Items), v.Total)
}

func itoa(n int) string { return strconv.Itoa(n) }
