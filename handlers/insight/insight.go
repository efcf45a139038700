// Package insight serves the views inside a model: a run's filters,
// activation maps and saliency (a page and its PNGs), and the
// classification of an uploaded picture (a form page and POST
// /api/classify). The work is app/insight's; this package only reads
// requests and writes answers. It is its own package because handlers/ is
// at its size limit.
package insight

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/app/insight"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/userimage"
	"github.com/fmnist/trainer/views/insightview"
)

// Service is what the routes need of the app; *insight.Service is one.
type Service interface {
	Look(ctx context.Context, runID, checkpointID int64, index int) (*insight.Inside, error)
	Picture(ctx context.Context, runID, checkpointID int64, index int, name string) ([]byte, error)
	Classify(ctx context.Context, runID int64, file []byte) (*insight.Classification, error)
}

// The paths that take a picture upload; their bodies may be larger than a
// form's (see handlers.Options.Uploads). The picture itself is limited here,
// to userimage.MaxBytes.
const (
	ClassifyPath    = "/classify"
	APIClassifyPath = "/api/classify"
)

// UploadPaths are the POST paths whose bodies are pictures.
var UploadPaths = map[string]bool{ClassifyPath: true, APIClassifyPath: true}

// Routes returns the function that registers the routes on e (pages,
// pictures, the form) and api (JSON under /api).
func Routes(svc Service) func(e *echo.Echo, api *echo.Group) {
	h := handler{svc: svc}
	return func(e *echo.Echo, api *echo.Group) {
		get := []string{http.MethodGet, http.MethodHead}
		e.Match(get, "/runs/:id/inside", h.insidePage)
		e.Match(get, "/runs/:id/inside/:file", h.picture)
		e.Match(get, ClassifyPath, h.classifyPage)
		e.POST(ClassifyPath, h.formClassify)
		api.POST(strings.TrimPrefix(APIClassifyPath, "/api"), h.apiClassify)
	}
}

type handler struct{ svc Service }

func (h handler) insidePage(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	checkpointID, index, err := pick(c)
	if err != nil {
		return err
	}
	in, err := h.svc.Look(c.Request().Context(), id, checkpointID, index)
	if err != nil {
		return err
	}
	v := insightview.InsideView{
		RunID: id, CheckpointID: in.Checkpoint.ID, Checkpoint: insightview.CheckpointLabel(in.Checkpoint),
		Image: in.Image, Label: fmnist.ClassNames[in.Label], Predicted: fmnist.ClassNames[in.Predicted],
		Right: in.Label == in.Predicted, Probs: insightview.ProbsOf(in.Probabilities, in.Predicted),
		Conv1: in.Conv1, Conv2: in.Conv2, CSRF: csrfToken(c),
	}
	for _, ck := range in.Checkpoints {
		v.Checkpoints = append(v.Checkpoints, insightview.CheckpointOption{ID: ck.ID, Label: insightview.CheckpointLabel(ck), Selected: ck.ID == in.Checkpoint.ID})
	}
	return render(c, http.StatusOK, insightview.InsidePage(v))
}

// picture answers /runs/:id/inside/NAME.png. With a checkpoint named the
// picture never changes, so browsers may keep it.
func (h handler) picture(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	name, isPNG := strings.CutSuffix(c.Param("file"), ".png")
	if !isPNG {
		return fmnist.Errorf(fmnist.ENOTFOUND, "There is no picture %q: the pictures are PNG files.", c.Param("file"))
	}
	checkpointID, index, err := pick(c)
	if err != nil {
		return err
	}
	png, err := h.svc.Picture(c.Request().Context(), id, checkpointID, index, name)
	if err != nil {
		return err
	}
	cache := "no-cache"
	if checkpointID != 0 {
		cache = "private, max-age=3600"
	}
	c.Response().Header().Set(echo.HeaderCacheControl, cache)
	return c.Blob(http.StatusOK, "image/png", png)
}

func (h handler) classifyPage(c echo.Context) error {
	run, err := optionalRun(c.QueryParam("run"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, insightview.ClassifyPage(insightview.ClassifyView{CSRF: csrfToken(c), RunID: run}))
}

// formClassify classifies the form's picture and shows the result on the
// page, or the page again with why the picture was refused. Nothing is
// stored, so there is nothing to redirect to.
func (h handler) formClassify(c echo.Context) error {
	v := insightview.ClassifyView{CSRF: csrfToken(c)}
	run, err := optionalRun(c.FormValue("run"))
	if err != nil {
		return err
	}
	v.RunID = run
	file, err := upload(c)
	var result *insight.Classification
	if err == nil {
		result, err = h.svc.Classify(c.Request().Context(), run, file)
	}
	if err != nil {
		status, shown := pageStatus(err)
		if !shown {
			return err
		}
		v.Error = fmnist.ErrorMessage(err)
		if fe := (*fmnist.Error)(nil); errors.As(err, &fe) {
			v.Error = fe.Message // beside the file field, without its name
		}
		return render(c, status, insightview.ClassifyPage(v))
	}
	v.Result = &insightview.ClassifyResult{
		InputURL:  "data:image/png;base64," + base64.StdEncoding.EncodeToString(result.InputPNG),
		Predicted: fmnist.ClassNames[result.Predicted], Probs: insightview.ProbsOf(result.Probabilities, result.Predicted),
		Model:  fmt.Sprintf("Run %d's model, %s.", result.Checkpoint.RunID, insightview.CheckpointLabel(result.Checkpoint)),
		Format: strings.ToUpper(result.Input.Format), Width: result.Input.Width, Height: result.Input.Height,
		Inverted: result.Input.Inverted, TTA: result.TTA,
	}
	return render(c, http.StatusOK, insightview.ClassifyPage(v))
}

// classifiedJSON is the API's answer: the probabilities in class order.
type classifiedJSON struct {
	Run            int64     `json:"run"`
	Checkpoint     int64     `json:"checkpoint"`
	Epoch          int       `json:"epoch"`
	Classes        []string  `json:"classes"`
	Probabilities  []float64 `json:"probabilities"`
	Predicted      int       `json:"predicted"`
	PredictedClass string    `json:"predicted_class"`
	TTA            bool      `json:"tta"`
	Input          struct {
		Format   string `json:"format"`
		Width    int    `json:"width"`
		Height   int    `json:"height"`
		Inverted bool   `json:"inverted"`
	} `json:"input"`
}

func (h handler) apiClassify(c echo.Context) error {
	run, err := optionalRun(c.QueryParam("run"))
	if err != nil {
		return err
	}
	file, err := upload(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Classify(c.Request().Context(), run, file)
	if err != nil {
		return err
	}
	out := classifiedJSON{Run: r.Checkpoint.RunID, Checkpoint: r.Checkpoint.ID, Epoch: r.Checkpoint.Epoch,
		Classes: fmnist.ClassNames[:], Probabilities: r.Probabilities[:], Predicted: r.Predicted,
		PredictedClass: fmnist.ClassNames[r.Predicted], TTA: r.TTA}
	out.Input.Format, out.Input.Width, out.Input.Height, out.Input.Inverted = r.Input.Format, r.Input.Width, r.Input.Height, r.Input.Inverted
	return c.JSON(http.StatusOK, out)
}

// upload reads the picture of a request: a multipart form's "image" file,
// or else the raw body. More than userimage.MaxBytes is refused unread.
func upload(c echo.Context) ([]byte, error) {
	tooLarge := fmnist.FieldError(userimage.Field, fmt.Sprintf("The file is larger than %d MB, the most a picture may be.", userimage.MaxBytes>>20))
	r := io.Reader(c.Request().Body)
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); mt == echo.MIMEMultipartForm {
		fh, err := c.FormFile(userimage.Field)
		if err != nil {
			return nil, fmnist.FieldError(userimage.Field, "Choose a PNG or JPEG picture to classify.")
		}
		if fh.Size > userimage.MaxBytes {
			return nil, tooLarge
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open the uploaded picture: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, userimage.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the upload: %w", err)
	}
	if len(data) > userimage.MaxBytes {
		return nil, tooLarge
	}
	return data, nil
}

// pageStatus is the status of a page that shows err's message in its form,
// false for errors the app's error page tells instead.
func pageStatus(err error) (int, bool) {
	switch fmnist.ErrorCode(err) {
	case fmnist.EINVALID:
		return http.StatusUnprocessableEntity, true
	case fmnist.ECONFLICT:
		return http.StatusConflict, true
	case fmnist.ENOTFOUND:
		return http.StatusNotFound, true
	}
	return 0, false
}

// pick reads ?checkpoint= (0: the newest) and ?image= (0 by default).
func pick(c echo.Context) (checkpointID int64, index int, err error) {
	if s := c.QueryParam("checkpoint"); s != "" {
		if checkpointID, err = strconv.ParseInt(s, 10, 64); err != nil || checkpointID < 0 {
			return 0, 0, fmnist.FieldError("checkpoint", fmt.Sprintf("%q is not a checkpoint id.", s))
		}
	}
	if s := c.QueryParam("image"); s != "" {
		if index, err = strconv.Atoi(s); err != nil || index < 0 {
			return 0, 0, fmnist.FieldError("image", fmt.Sprintf("%q is not a test image number: pick a whole number from 0.", s))
		}
	}
	return checkpointID, index, nil
}

// optionalRun reads a run id that may be empty (the newest model).
func optionalRun(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, fmnist.FieldError("run", fmt.Sprintf("%q is not a run id: a run id is a positive whole number.", s))
	}
	return id, nil
}

// runID reads the :id of a run route.
func runID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %q: a run id is a positive whole number.", c.Param("id"))
	}
	return id, nil
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

func render(c echo.Context, status int, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return component.Render(c.Request().Context(), c.Response())
}
