package topics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAddTerm(t *testing.T) {
	t.Parallel()
	add := func(terms ...[2]string) []string {
		var keys, surfaces []string
		for _, term := range terms {
			keys, surfaces = addTerm(keys, surfaces, term[0], term[1])
		}
		return surfaces
	}
	// A bigram replaces the words it contains, where the first of them was.
	require.Equal(t, []string{"refresh token", "jwt"},
		add([2]string{"token", "token"}, [2]string{"jwt", "jwt"}, [2]string{"refresh", "refresh"}, [2]string{"refresh token", "refresh token"}))
	// A word inside a chosen bigram is not repeated.
	require.Equal(t, []string{"refresh token", "jwt"},
		add([2]string{"refresh token", "refresh token"}, [2]string{"token", "token"}, [2]string{"jwt", "jwt"}))
	// Nor is a word shared with a chosen bigram.
	require.Equal(t, []string{"terraform state", "plan"},
		add([2]string{"terraform state", "terraform state"}, [2]string{"terraform plan", "terraform plan"}, [2]string{"plan", "plan"}))
	// Nor a term twice.
	require.Equal(t, []string{"cors"}, add([2]string{"cors", "cors"}, [2]string{"cors", "CORS"}))
}

func TestDistinctLabels(t *testing.T) {
	t.Parallel()
	labels := []topicLabel{
		{terms: []string{"docker", "cache", "layers", "buildkit"}},
		{terms: []string{"docker", "cache", "layers", "compose"}},
		{terms: []string{"docker", "cache", "layers"}},
		{terms: []string{}},
		{terms: []string{}},
		{terms: []string{"jwt"}},
	}
	distinctLabels(labels, 3)
	var got []string
	for _, l := range labels {
		got = append(got, l.label)
	}
	require.Equal(t, []string{
		"docker · cache · layers · buildkit",
		"docker · cache · layers · compose",
		"docker · cache · layers",
		"untitled",
		"untitled (2)",
		"jwt",
	}, got)
}

func TestLabelTopicsPrefersDistinctiveTerms(t *testing.T) {
	t.Parallel()
	texts := []string{
		// Topic 0: docker caching; "slow" is everywhere, "docker" only here.
		"docker build cache is slow", "slow docker layer cache", "docker cache invalidated, build slow",
		// Topic 1: terraform state.
		"terraform state lock is slow", "terraform state drift", "move terraform state between modules",
		// Background.
		"slow laptop", "slow tests", "a slow query",
	}
	pts := make([]point, len(texts))
	for i, text := range texts {
		pts[i] = point{id: int64(i), words: words(text)}
	}
	labels := labelTopics(pts, [][]int{{0, 1, 2}, {3, 4, 5}}, Options{MaxTerms: 4, LabelTerms: 2})
	require.ElementsMatch(t, []string{"docker", "cache"}, labels[0].terms[:2], "equal scores, in key order")
	require.Equal(t, "terraform state", labels[1].terms[0], "the bigram of all three questions replaces its words")
	require.NotContains(t, labels[0].label, "slow", "a word of every document scores low everywhere")
}

func TestQuestionTerms(t *testing.T) {
	t.Parallel()
	got := questionTerms(words("refresh token TokenExpiredError, refresh"))
	require.Equal(t, map[string]string{
		"refresh":                 "refresh",
		"token":                   "token",
		"refresh token":           "refresh token",
		"tokenexpirederror":       "TokenExpiredError",
		"token tokenexpirederror": "token TokenExpiredError",
	}, got, "parts (expired) are left out, identifiers keep their case")
}
