package warehouse

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitUsage(t *testing.T) {
	t.Parallel()
	// Per-message tokens stay with their model; what the session totals
	// hold beyond the messages (Codex counts per session) goes to the model
	// with the most answers.
	total := TokenUsage{Input: 1000, Output: 300, CacheRead: 5000, CacheWrite: 0, Reasoning: 40}
	per := []ModelUsage{
		{Model: "", TokenUsage: TokenUsage{}},
		{Model: "claude-haiku-4-5", TokenUsage: TokenUsage{Input: 100, Output: 10}},
		{Model: "claude-opus-4-5", TokenUsage: TokenUsage{Input: 400, Output: 90, CacheRead: 1000}},
	}
	got := splitUsage(total, []string{"claude-haiku-4-5", "claude-opus-4-5"}, per, []int64{0, 1, 3})
	require.Equal(t, []ModelUsage{
		{Model: "claude-haiku-4-5", TokenUsage: TokenUsage{Input: 100, Output: 10}},
		{Model: "claude-opus-4-5", TokenUsage: TokenUsage{Input: 900, Output: 290, CacheRead: 5000, Reasoning: 40}},
	}, got)

	// Only session totals and no model on any message: the conversation's
	// first model takes them; with no model at all, "" (unknown).
	got = splitUsage(TokenUsage{Input: 7}, []string{"gpt-5-codex"}, nil, nil)
	require.Equal(t, []ModelUsage{{Model: "gpt-5-codex", TokenUsage: TokenUsage{Input: 7}}}, got)
	got = splitUsage(TokenUsage{Input: 7}, nil, nil, nil)
	require.Equal(t, []ModelUsage{{Model: "", TokenUsage: TokenUsage{Input: 7}}}, got)
	// Messages counting more than the totals (a format whose totals lag)
	// never make a negative rest.
	got = splitUsage(TokenUsage{Input: 5}, nil, []ModelUsage{{Model: "m", TokenUsage: TokenUsage{Input: 9}}}, []int64{1})
	require.Equal(t, []ModelUsage{{Model: "m", TokenUsage: TokenUsage{Input: 9}}}, got)
	require.Empty(t, splitUsage(TokenUsage{}, nil, nil, nil))
}
