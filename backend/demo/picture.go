package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/gospectrum/spectrum2/backend"
)

// PictureRequest is the message to echo that makes it send Picture as a file transfer,
// which the daemon's upload service turns into a link (for tests and `make run`).
const PictureRequest = "picture"

// PictureName is the file name of the demo picture.
const PictureName = "demo.png"

var picture = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 95), uint8(y * 255 / 63), 160, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // a bytes.Buffer does not fail
	return b.Bytes()
})

// Picture is the PNG that echo sends on PictureRequest: the same bytes every time.
func Picture() []byte { return bytes.Clone(picture()) }

// sendPicture sends echo's picture to user.
func sendPicture(s *backend.Sink, user string) {
	if err := s.SendFile(backend.File{User: user, Buddy: Echo, Name: PictureName, MimeType: "image/png", Data: picture()}); err != nil {
		s.Message(backend.Message{User: user, Buddy: Echo, Body: "no picture now: " + err.Error()})
	}
}
