package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Results are everything a run measured (and what earlier runs measured
// for sizes not run this time).
type Results struct {
	Machine   Machine          `json:"machine"`
	Started   time.Time        `json:"started"`
	Finished  time.Time        `json:"finished"`
	Sizes     []SizeResult     `json:"sizes"`
	Embedding *EmbeddingResult `json:"embedding,omitempty"`
	Relevance *RelevanceResult `json:"relevance,omitempty"`
	Lag       *LagResult       `json:"lag,omitempty"`
	Analytics *AnalyticsResult `json:"analytics,omitempty"`
}

// SizeResult is what was measured on one dataset size.
type SizeResult struct {
	Size     string      `json:"size"`
	Messages int         `json:"messages"`
	Load     LoadStats   `json:"load"`
	Dataset  DatasetInfo `json:"dataset"`
	// Prewarm is what was read into shared buffers before timing.
	Prewarm    *Prewarm       `json:"prewarm,omitempty"`
	Latency    []LatencyCell  `json:"latency"`
	Recall     []RecallResult `json:"recall"`
	Experiment *Experiment    `json:"experiment,omitempty"`
	// KeywordLegs is the keyword leg of hybrid search alone, by variant.
	KeywordLegs []LegLatency `json:"keyword_legs,omitempty"`
	// PlanCache is keyword and hybrid search with custom plans only.
	PlanCache  *Experiment `json:"plan_cache,omitempty"`
	MeasuredAt time.Time   `json:"measured_at"`
	LoadAvg    [3]float64  `json:"load_avg"` // machine load when the measurements ended
	Machine    *Machine    `json:"machine,omitempty"`
}

// setSize stores a size's results; measured says whether latency or
// recall were measured now (else their time and load stay those of the
// earlier run).
func (r *Results) setSize(s SizeResult, measured bool) {
	if measured {
		s.MeasuredAt = time.Now().UTC()
		s.LoadAvg = loadAverage()
	}
	m := r.Machine
	s.Machine = &m
	i := slices.IndexFunc(r.Sizes, func(x SizeResult) bool { return x.Size == s.Size })
	if i >= 0 {
		r.Sizes[i] = s
	} else {
		r.Sizes = append(r.Sizes, s)
	}
	slices.SortFunc(r.Sizes, func(a, b SizeResult) int { return a.Messages - b.Messages })
}

const resultsMarker = "<!-- bench-results "

// previousResults reads the results embedded in an earlier report, so a
// run of one size keeps the numbers of the others.
func previousResults(path string) *Results {
	r := &Results{}
	b, err := os.ReadFile(path)
	if err != nil {
		return r
	}
	i := strings.LastIndex(string(b), resultsMarker)
	if i < 0 {
		return r
	}
	rest := string(b[i+len(resultsMarker):])
	j := strings.LastIndex(rest, "-->")
	if j < 0 {
		return r
	}
	if err := json.Unmarshal([]byte(rest[:j]), r); err != nil {
		return &Results{}
	}
	return r
}

// write renders the report with the raw results embedded at its end.
func (r *Results) write(path string) error {
	if path == "" {
		return nil
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	report := renderReport(r)
	md := report + foreignSections(path, report) + "\n" + resultsMarker + strings.ReplaceAll(string(raw), "--", `\u002d\u002d`) + " -->\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return os.Rename(tmp, path)
}

// foreignSections returns the "## " sections of the existing file that the
// report does not write (other benchmarks, such as commit correlation,
// keep their sections in the same file), so a run does not erase them.
func foreignSections(path, report string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	text := string(old)
	if i := strings.Index(text, resultsMarker); i >= 0 {
		text = text[:i]
	}
	own := map[string]bool{}
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "## ") {
			own[line] = true
		}
	}
	var b strings.Builder
	keep := false
	for _, line := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(line, "## ") {
			keep = !own[strings.TrimRight(line, "\n")]
		}
		if keep {
			b.WriteString(line)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + strings.TrimRight(b.String(), "\n") + "\n"
}
