package redact

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/regexp"
)

// RulesVersion names the rule set: gitleaks' default config at the
// gitleaks version in go.mod, plus the extra rules, numbered. Record it with
// redacted data so that what an older rule set redacted can be found and
// redacted again after an upgrade. Bump the number when extra_rules.go
// changes; TestRulesVersionMatchesGoMod keeps the gitleaks part honest.
const RulesVersion = "gitleaks-v8.30.1+ctxintel.1"

// disabledRules are gitleaks default rules that are not used, with the reason.
// Rules scoped to a file path (e.g. *.tf, *.yaml, nuget.config) are skipped
// as well, as gitleaks itself does for content that has no path: a transcript
// chunk has none.
var disabledRules = map[string]string{}

// Tiers decide which rule names a secret when several rules find overlapping
// secrets: the lower tier wins. This generalises gitleaks' own dedup, where a
// specific rule takes precedence over generic-api-key.
const (
	tierSpecific = iota // a rule for one provider's format (github-pat, jwt…)
	tierContext         // a rule that knows a secret by its surroundings
	tierAssign          // the extra .env-style assignment rule
	tierGeneric         // gitleaks' generic-* rules
)

// defaultRuleTiers ranks the gitleaks rules that are not about one
// provider's format: a GitHub token in a curl header is a github-pat.
var defaultRuleTiers = map[string]int{
	"curl-auth-header": tierContext,
	"curl-auth-user":   tierContext,
}

// rule is one compiled detection rule.
type rule struct {
	id          string
	marker      string // "[REDACTED:<id>]"
	re          *regexp.Regexp
	secretGroup int
	entropy     float64
	allowlists  []*config.Allowlist
	tier        int
	// keywords are the rule's prefilter pattern indexes: a rule with
	// keywords runs only on text where one of them occurs, as in gitleaks.
	keywords []int
	// anchor runs the rule faster than re over the whole text (anchor.go);
	// nil when there is no faster way.
	anchor *anchor
}

// ruleSet is the compiled, read-only rule set shared by every Redactor.
type ruleSet struct {
	rules []rule // sorted by id, so results do not depend on map order
	// prefilter finds, in one pass, the rules' keywords and the literals
	// that anchored rules start with.
	prefilter *prefilter
	// global allowlists apply to every rule.
	global []*config.Allowlist
	// skipped lists the default rules left out: disabled or path-scoped.
	skipped []string
}

// loadRules compiles the rule set once per process: compiling some 220
// regexes takes tens of milliseconds, and the result is immutable.
var loadRules = sync.OnceValues(buildRuleSet)

func buildRuleSet() (*ruleSet, error) {
	defaults, err := parseConfig(config.DefaultConfig)
	if err != nil {
		return nil, fmt.Errorf("load gitleaks default rules: %w", err)
	}
	extra, err := parseConfig(extraRulesTOML)
	if err != nil {
		return nil, fmt.Errorf("load extra redaction rules: %w", err)
	}

	rs := &ruleSet{global: defaults.Allowlists}
	var all []config.Rule
	more := extraAllowlists()
	for id, r := range defaults.Rules {
		if _, off := disabledRules[id]; off || r.Regex == nil || r.Path != nil || r.SkipReport {
			rs.skipped = append(rs.skipped, id)
			continue
		}
		for _, a := range more[id] {
			if err := a.Validate(); err != nil {
				return nil, fmt.Errorf("extra allowlist for %s: %w", id, err)
			}
			r.Allowlists = append(slices.Clip(r.Allowlists), a)
		}
		delete(more, id)
		all = append(all, r)
	}
	for id := range more {
		return nil, fmt.Errorf("extra allowlist for %q: no such rule in use", id)
	}
	for id, r := range extra.Rules {
		if _, dup := defaults.Rules[id]; dup {
			return nil, fmt.Errorf("extra redaction rule %q: a gitleaks default rule has the same id", id)
		}
		all = append(all, r)
	}
	for id := range disabledRules {
		if _, ok := defaults.Rules[id]; !ok {
			return nil, fmt.Errorf("disabled rule %q: no such gitleaks default rule", id)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].RuleID < all[j].RuleID })
	sort.Strings(rs.skipped)

	patternIndex := map[string]int{}
	var patterns []string
	pattern := func(p string) int {
		at, ok := patternIndex[p]
		if !ok {
			at = len(patterns)
			patternIndex[p] = at
			patterns = append(patterns, p)
		}
		return at
	}
	for _, r := range all {
		if !validRuleID(r.RuleID) {
			// The id goes into the marker, which must stay inert in JSON.
			return nil, fmt.Errorf("rule %q: id must be lowercase letters, digits and dashes", r.RuleID)
		}
		ru := rule{
			id:          r.RuleID,
			marker:      "[REDACTED:" + r.RuleID + "]",
			re:          r.Regex,
			secretGroup: r.SecretGroup,
			entropy:     r.Entropy,
			allowlists:  r.Allowlists,
			tier:        tierOf(r.RuleID),
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if k == "" || !isASCII(k) {
				// The prefilter folds ASCII case only.
				return nil, fmt.Errorf("rule %s: keyword %q must be non-empty ASCII", r.RuleID, k)
			}
			ru.keywords = append(ru.keywords, pattern(k))
		}
		if ru.anchor, err = planAnchor(r.Regex.String()); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.RuleID, err)
		}
		if ru.anchor != nil {
			ru.anchor.setPatterns(pattern)
		}
		rs.rules = append(rs.rules, ru)
	}
	rs.prefilter = newPrefilter(patterns)
	return rs, nil
}

// parseConfig reads a gitleaks TOML config with its own viper instance, so
// that it shares no state with any other user of viper's global one.
func parseConfig(toml string) (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(toml)); err != nil {
		return config.Config{}, fmt.Errorf("read toml: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, fmt.Errorf("decode toml: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return config.Config{}, fmt.Errorf("compile rules: %w", err)
	}
	return cfg, nil
}

func tierOf(id string) int {
	if t, ok := extraRuleTiers[id]; ok {
		return t
	}
	if t, ok := defaultRuleTiers[id]; ok {
		return t
	}
	if strings.Contains(id, "generic") {
		return tierGeneric
	}
	return tierSpecific
}

func validRuleID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
