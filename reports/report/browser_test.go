package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/reports/report/reporttest"
)

// These tests open report.html in real headless Chromium (Debian package
// `chromium`, installed by .ci/run). ECGROBUST_CHROMIUM names another
// binary; ECGROBUST_SCREENSHOT, when set, is where the screenshot of the
// fixture report is copied (see `make screenshot`).

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ECGROBUST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Skip("headless browser test skipped: chromium not found (apt-get install chromium, as .ci/run does, or set ECGROBUST_CHROMIUM)")
	return ""
}

// chromium runs the browser headless on page with extra flags and returns
// its standard output and standard error.
func chromium(t *testing.T, bin, page string, extra ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0",
	}
	args = append(append(args, extra...), "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(extra, " "), err, tail(errb.String(), 2000))
	}
	return out.Bytes(), errb.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// consoleMessages returns the browser log lines that report a console
// message, an uncaught exception or a blocked resource. The report has no
// scripts, so any of these is a defect.
func consoleMessages(stderr []byte) []string {
	var out []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") ||
			strings.Contains(line, "Content Security Policy") || strings.Contains(line, "net::ERR_") {
			out = append(out, line)
		}
	}
	return out
}

// chartsWithSVG returns the data-chart ids of figures in dom that contain
// an <svg> element.
func chartsWithSVG(dom string) map[string]bool {
	got := map[string]bool{}
	parts := strings.Split(dom, `data-chart="`)
	for _, p := range parts[1:] {
		id, rest, ok := strings.Cut(p, `"`)
		if !ok {
			continue
		}
		fig, _, _ := strings.Cut(rest, "</figure>")
		if strings.Contains(fig, "<svg") && strings.Contains(fig, "<path") {
			got[id] = true
		}
	}
	return got
}

// lumaStats returns the standard deviation of the luminance of img and the
// fraction of pixels that differ from the top-left (background) pixel.
func lumaStats(img image.Image) (std, inked float64) {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	var sum, sum2, n, diff float64
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sum2 += l * l
			n++
			if r != r0 || g != g0 || bl != b0 {
				diff++
			}
		}
	}
	mean := sum / n
	return math.Sqrt(math.Max(0, sum2/n-mean*mean)), diff / n
}

func writePage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := WriteAll(dir, reporttest.Result(), fixedOptions()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, HTMLFile)
}

func TestBrowserLoadsReport(t *testing.T) {
	bin := chromiumPath(t)
	page := writePage(t)
	dom, stderr := chromium(t, bin, page, "--dump-dom")
	if msgs := consoleMessages(stderr); len(msgs) > 0 {
		t.Errorf("the page logged %d console messages or errors:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
	if !bytes.Contains(dom, []byte(`id="verdict"`)) || !bytes.Contains(dom, []byte(`id="identity"`)) {
		t.Fatalf("the browser's DOM lacks the verdict banner or the run identity:\n%s", tail(string(dom), 1500))
	}
	got := chartsWithSVG(string(dom))
	for _, id := range wantCharts {
		if !got[id] {
			t.Errorf("chart %s is missing from the rendered page, or has no drawing", id)
		}
	}
	// Every figure the page declares is drawn, not only the expected ones.
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if declared := strings.Count(string(src), `data-chart="`); declared != len(got) || declared < len(wantCharts) {
		t.Errorf("the page declares %d charts, the browser drew %d", declared, len(got))
	}
	if n := bytes.Count(dom, []byte(`class="flip"`)); n != 5 {
		t.Errorf("%d class-flip matrices rendered, want 5", n)
	}
}

func TestBrowserConsoleCheckCanFail(t *testing.T) {
	bin := chromiumPath(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><html><body><p>x</p><script>console.error("deliberate-failure"); undefinedFunction();</script></body></html>`
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr := chromium(t, bin, page, "--dump-dom")
	msgs := strings.Join(consoleMessages(stderr), "\n")
	if !strings.Contains(msgs, "deliberate-failure") || !strings.Contains(msgs, "undefinedFunction") {
		t.Errorf("the console check missed a console error and an uncaught exception; log lines found:\n%s", msgs)
	}
}

func TestBrowserScreenshotNotBlank(t *testing.T) {
	bin := chromiumPath(t)
	page := writePage(t)
	shot := filepath.Join(t.TempDir(), "report.png")
	chromium(t, bin, page, "--window-size=1400,4400", "--screenshot="+shot)
	img := decodePNG(t, shot)
	if b := img.Bounds(); b.Dx() != 1400 || b.Dy() != 4400 {
		t.Errorf("screenshot is %dx%d, want 1400x4400", b.Dx(), b.Dy())
	}
	std, inked := lumaStats(img)
	t.Logf("screenshot luminance std %.1f, %.1f %% of pixels differ from the background", std, inked*100)
	if std < 20 || inked < 0.05 {
		t.Errorf("screenshot looks blank: luminance std %.1f (want ≥ 20), %.2f %% inked (want ≥ 5 %%)", std, inked*100)
	}
	if dst := os.Getenv("ECGROBUST_SCREENSHOT"); dst != "" {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The same check on an empty page must fail, or it proves nothing.
	blank := filepath.Join(t.TempDir(), "blank.html")
	if err := os.WriteFile(blank, []byte(`<!DOCTYPE html><html><body></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	blankShot := filepath.Join(t.TempDir(), "blank.png")
	chromium(t, bin, blank, "--window-size=800,600", "--screenshot="+blankShot)
	if std, inked := lumaStats(decodePNG(t, blankShot)); std >= 20 || inked >= 0.05 {
		t.Errorf("an empty page passes the blank check (std %.1f, inked %.2f %%)", std, inked*100)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	return img
}
