package host

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// lineLogger turns the plugin's stderr into one log record per line. The
// level comes from an hclog JSON line's "@level" or a "[LEVEL]" prefix;
// anything else is logged at Info.
type lineLogger struct {
	log    *slog.Logger
	stdout bool // lines come from the plugin's stdout: warn about them
	mu     sync.Mutex
	buf    []byte
}

// maxLine bounds a buffered stderr line; longer ones are split.
const maxLine = 64 << 10

func (w *lineLogger) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				w.emit(string(w.buf))
				w.buf = w.buf[:0]
			}
			return len(b), nil
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineLogger) emit(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	if w.stdout {
		w.log.Warn("plugin wrote to stdout; plugins must log to stderr only", "line", line)
		return
	}
	level, msg := slog.LevelInfo, line
	if strings.HasPrefix(line, "{") {
		var entry struct {
			Level   string `json:"@level"`
			Message string `json:"@message"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Message != "" {
			level, msg = parseLevel(entry.Level), entry.Message
		}
	} else if strings.HasPrefix(line, "[") {
		if end := strings.IndexByte(line, ']'); end > 0 {
			level = parseLevel(line[1:end])
		}
	}
	w.log.Log(context.Background(), level, msg, "stream", "stderr")
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error", "fatal", "critical":
		return slog.LevelError
	}
	return slog.LevelInfo
}
