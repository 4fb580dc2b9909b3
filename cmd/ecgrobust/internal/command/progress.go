package command

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports how many work items of a run are done: a bar with an
// ETA on a terminal, a log line at most every 10 s (and at the end)
// otherwise, nothing when quiet.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	log   *slog.Logger
	total int
	start time.Time
	last  time.Time
	now   func() time.Time
}

func newProgress(w io.Writer, terminal, quiet bool, log *slog.Logger, description string) *progress {
	p := &progress{log: log, now: time.Now}
	p.start = p.now()
	if quiet {
		p.log = nil
		return p
	}
	if terminal {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(description),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Update records that done of total items are finished. It is safe for
// concurrent use.
func (p *progress) Update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		if total != p.total {
			p.bar.ChangeMax(total)
			p.total = total
		}
		_ = p.bar.Set(done)
		return
	}
	if p.log == nil {
		return
	}
	now := p.now()
	if done < total && now.Sub(p.last) < 10*time.Second {
		return
	}
	p.last = now
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	attrs := []any{"done", done, "total", total, "percent", fmt.Sprintf("%.1f", pct)}
	if elapsed := now.Sub(p.start); done > 0 && done < total {
		eta := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		attrs = append(attrs, "eta", eta.Round(time.Second).String())
	}
	p.log.Info("progress", attrs...)
}

// Finish ends the bar.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
