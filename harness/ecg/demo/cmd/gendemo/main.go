// Command gendemo rebuilds the demo sample embedded by package demo from a
// copy of the CinC 2017 data. It is a development tool:
//
//	go generate ./harness/ecg/demo        # uses ../shared/data
//	go run ./harness/ecg/demo/cmd/gendemo -data /path/to/data -out harness/ecg/demo
//
// It draws demo.PerClass records of each class from the Han et al. 2020
// test split with the seed demo.Seed and stores their original .mat files,
// byte for byte, in a deterministic zip (fixed times, best compression)
// with REFERENCE.csv and SHA256SUMS, and writes records.csv beside it.
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
)

func main() {
	data := flag.String("data", "../../../../shared/data", "directory holding cinc2017/")
	out := flag.String("out", ".", "directory of package demo")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendemo:", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	d, err := cinc.Open(filepath.Join(data, "cinc2017"))
	if err != nil {
		return err
	}
	defer d.Close()
	pick, err := cinc.Han2020Split().Part(cinc.Test).Stratify(ecg.CinCClasses, demo.PerClass, rand.New(rand.NewPCG(demo.Seed, 0)))
	if err != nil {
		return fmt.Errorf("draw demo records: %w", err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	stamp := time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)
	add := func(name string, b []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "demo/" + name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	var ref, sums, table strings.Builder
	table.WriteString("record,label,split,samples,seconds,sha256\n")
	for _, a := range pick {
		b, err := d.MAT(a.ID)
		if err != nil {
			return err
		}
		m, err := cinc.DecodeMAT(b)
		if err != nil {
			return fmt.Errorf("%s.mat: %w", a.ID, err)
		}
		sum := fmt.Sprintf("%x", sha256.Sum256(b))
		fmt.Fprintf(&ref, "%s,%s\n", a.ID, a.Label)
		fmt.Fprintf(&sums, "%s  %s.mat\n", sum, a.ID)
		fmt.Fprintf(&table, "%s,%s,%s,%d,%.2f,%s\n", a.ID, a.Label, a.Split, m.Len(), float64(m.Len())/cinc.Rate, sum)
		if err := add(a.ID+".mat", b); err != nil {
			return err
		}
	}
	if err := add("REFERENCE.csv", []byte(ref.String())); err != nil {
		return err
	}
	if err := add("SHA256SUMS", []byte(sums.String())); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "demo.zip"), zbuf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "records.csv"), []byte(table.String()), 0o644); err != nil {
		return err
	}
	slog.Info("demo sample written", "records", len(pick), "bytes", zbuf.Len(), "sha256", fmt.Sprintf("%x", sha256.Sum256(zbuf.Bytes())))
	return nil
}
