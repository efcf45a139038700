package handlers

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// imageScale enlarges the 28×28 test images by whole pixels, so they stay
// crisp without relying on the browser's scaling.
const imageScale = 4

// testImage serves test image {index}.png, scaled up with nearest-neighbour.
func (s *Server) testImage(c echo.Context) error {
	name := c.Param("file")
	index, err := strconv.Atoi(strings.TrimSuffix(name, ".png"))
	if !strings.HasSuffix(name, ".png") || err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	pixels, rows, cols, _, err := s.predictor.TestImage(index)
	if err != nil {
		return err
	}
	img := image.NewGray(image.Rect(0, 0, cols*imageScale, rows*imageScale))
	for y := range rows * imageScale {
		for x := range cols * imageScale {
			img.SetGray(x, y, color.Gray{Y: pixels[(y/imageScale)*cols+x/imageScale]})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode test image %d: %w", index, err)
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}
