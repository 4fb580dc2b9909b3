package cnn

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// fileMagic opens every weight and checkpoint file.
const fileMagic = "ECGW"

// maxHeader bounds the JSON header so a corrupt length cannot exhaust memory.
const maxHeader = 1 << 20

// maxTensor bounds the elements of one tensor (64 Mi float32).
const maxTensor = 1 << 26

// tensorFile is the framework-neutral container of weights and
// checkpoints:
//
//	"ECGW" | uint32 LE header length n | n bytes of JSON header | tensors
//
// where the tensors are little-endian IEEE-754 float32, row-major, one after
// another in header order, and the header's data_sha256 is the SHA-256 of
// all tensor bytes.
type tensorFile struct {
	Kind    string          `json:"kind"`
	Arch    Arch            `json:"arch"`
	Meta    json.RawMessage `json:"meta,omitempty"`
	Tensors []tensorInfo    `json:"tensors"`
	SHA256  string          `json:"data_sha256"`
	data    [][]float32
}

type tensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

func (f *tensorFile) add(name string, data []float32, shape ...int) {
	f.Tensors = append(f.Tensors, tensorInfo{Name: name, Shape: shape})
	f.data = append(f.data, data)
}

// tensor returns the tensor called name, checking its element count.
func (f *tensorFile) tensor(name string, n int) ([]float32, error) {
	for i, t := range f.Tensors {
		if t.Name == name {
			if len(f.data[i]) != n {
				return nil, fmt.Errorf("tensor %q has %d values, want %d", name, len(f.data[i]), n)
			}
			return f.data[i], nil
		}
	}
	return nil, fmt.Errorf("no tensor %q", name)
}

func (f *tensorFile) write(w io.Writer) error {
	h := sha256.New()
	var buf []byte
	for _, d := range f.data {
		buf = buf[:0]
		for _, v := range d {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		h.Write(buf)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	hdr, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(fileMagic)
	binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	bw.Write(hdr)
	for _, d := range f.data {
		buf = buf[:0]
		for _, v := range d {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write tensors: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write tensors: %w", err)
	}
	return nil
}

// ErrFormat is returned (wrapped) when a weight or checkpoint file is not in
// the format this package writes.
var ErrFormat = errors.New("cnn: bad weight file")

func readTensorFile(r io.Reader) (*tensorFile, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: read magic: %v", ErrFormat, err)
	}
	if string(pre[:4]) != fileMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrFormat, pre[:4], fileMagic)
	}
	n := binary.LittleEndian.Uint32(pre[4:])
	if n > maxHeader {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: read header: %v", ErrFormat, err)
	}
	f := &tensorFile{}
	if err := json.Unmarshal(hdr, f); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	h := sha256.New()
	for _, t := range f.Tensors {
		size := 1
		for _, d := range t.Shape {
			if d < 0 || d > maxTensor || size*d > maxTensor {
				return nil, fmt.Errorf("%w: tensor %q: shape %v too large", ErrFormat, t.Name, t.Shape)
			}
			size *= d
		}
		// Read through a limit so a header that claims a huge tensor
		// costs only the bytes actually present.
		b, err := io.ReadAll(io.LimitReader(r, int64(4*size)))
		if err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrFormat, t.Name, err)
		}
		if len(b) != 4*size {
			return nil, fmt.Errorf("%w: tensor %q: %d of %d bytes", ErrFormat, t.Name, len(b), 4*size)
		}
		h.Write(b)
		d := make([]float32, size)
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		f.data = append(f.data, d)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return nil, fmt.Errorf("%w: tensor data SHA-256 %s, header says %s", ErrFormat, got, f.SHA256)
	}
	if err := f.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return f, nil
}
