package backend

import (
	"errors"
	"math"
	"sync"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// File is a file a legacy contact sends the user (FT_START; the daemon stores it and
// gives the user a link).
type File struct {
	User, Buddy string
	Name        string
	MimeType    string // "" lets the daemon guess from Name
	Data        []byte
}

// fileChunk is the largest FT_DATA payload: well below any max_frame_bytes.
const fileChunk = 32 << 10

// maxPendingFiles bounds the files of one connection waiting for the daemon's answer.
const maxPendingFiles = 16

// ErrTooManyFiles is SendFile's error while maxPendingFiles wait for the daemon.
var ErrTooManyFiles = errors.New("backend: too many files waiting for the daemon")

// ErrFileTooLarge is SendFile's error for a file past 2 GiB: Spectrum 2's File frame
// carries the size as an int32.
var ErrFileTooLarge = errors.New("backend: a file past 2 GiB cannot be offered")

// files are the offered transfers waiting for FT_CONTINUE or FT_FINISH.
type files struct {
	mu      sync.Mutex
	next    int32
	pending map[int32]File
}

// SendFile offers f to the daemon (FT_START). When the daemon accepts it (FT_CONTINUE)
// the data follows in FT_DATA chunks and FT_FINISH; a refusal (FT_FINISH) drops it, and
// the daemon tells the user why.
func (s *Sink) SendFile(f File) error {
	if len(f.Data) > math.MaxInt32 {
		return ErrFileTooLarge
	}
	s.files.mu.Lock()
	if len(s.files.pending) >= maxPendingFiles {
		s.files.mu.Unlock()
		return ErrTooManyFiles
	}
	s.files.next++
	id := s.files.next
	if s.files.pending == nil {
		s.files.pending = make(map[int32]File)
	}
	s.files.pending[id] = f
	s.files.mu.Unlock()
	return s.send(pb.WrapperMessage_TYPE_FT_START, fileProto(f, id))
}

func fileProto(f File, id int32) *pb.File {
	size := int32(len(f.Data))
	m := &pb.File{UserName: &f.User, BuddyName: &f.Buddy, FileName: &f.Name, Size: &size, FtID: &id}
	if f.MimeType != "" {
		m.MimeType = &f.MimeType
	}
	return m
}

// fileAnswer handles the daemon's FT_CONTINUE (send the data) and FT_FINISH (refused).
func (s *Sink) fileAnswer(t pb.WrapperMessage_Type, m *pb.File) error {
	id := m.GetFtID()
	s.files.mu.Lock()
	f, ok := s.files.pending[id]
	delete(s.files.pending, id)
	s.files.mu.Unlock()
	if !ok || t != pb.WrapperMessage_TYPE_FT_CONTINUE {
		return nil
	}
	for off := 0; off < len(f.Data); off += fileChunk {
		end := min(off+fileChunk, len(f.Data))
		if err := s.send(pb.WrapperMessage_TYPE_FT_DATA, &pb.FileTransferData{FtID: &id, Data: f.Data[off:end], UserName: &f.User}); err != nil {
			return err
		}
	}
	return s.send(pb.WrapperMessage_TYPE_FT_FINISH, fileProto(f, id))
}
