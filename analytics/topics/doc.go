// Package topics finds the topics people keep asking about: it clusters
// user questions by meaning and labels each cluster with its most
// distinctive words, for the "knowledge gaps" report.
//
// It is pure computation: it owns no storage, does no I/O, embeds nothing
// and keeps no state between calls. The caller passes each question's text
// (already redacted) and its embedding; Cluster returns the topics, the
// questions that belong to none, and the questions it skipped for an
// unusable vector. The same questions in any order give exactly the same
// result: the input is sorted by id first, every tie is broken by id, and
// the only randomness, a sample of pairs at scale, is seeded by the ids.
//
// # Similarity
//
// Two questions are similar by their vectors and by their words:
//
//	sim = (1−w)·(centred vector · centred vector) + w·(tf-idf · tf-idf)
//
// with w = TextWeight (0.8). The vectors are unit-normalised and centred:
// the mean vector of the input is subtracted, because embedding models put
// all developer questions in a narrow cone (under USE-Lite two unrelated
// questions have a cosine of 0.39 on average, two on one topic 0.48), and
// raw cosines would make every threshold depend on that offset. They are
// not re-normalised, so a generic question near the mean links weakly to
// everything. The words are lower-cased and lightly stemmed; stop words
// and the words every question to an assistant shares ("how", "error",
// "fix", "please", "can", "get") are dropped; code identifiers stay whole
// (context.WithCancel, useEffect, pg_locks) and their parts count too
// (TokenExpiredError also counts as "token" and "expired"), so that the
// name of a thing matches the words for it.
//
// Words carry most of the weight because on short, differently phrased
// developer questions the built-in model alone is weak. On
// testdata/questions.json the nearest other question is on the same topic
// for 54% of the questions by the vectors' cosine, 72% by the words and
// 78% by the mix; clustering on the words alone is clearly less pure
// (TestClusterEvaluation reports both).
//
// # Clustering
//
// Average-linkage agglomerative clustering with a threshold, then a merge
// and an attach step:
//
//  1. Merge the two groups with the highest mean similarity between their
//     questions while it is at least Threshold (0.14). One-off questions
//     stay alone and no number of topics is guessed in advance; k-means
//     needs k and puts every one-off into some cluster.
//  2. Groups of at least MinClusterSize (3) questions are topics. Topics
//     whose mean similarity is at least JoinThreshold (0.06) merge, again
//     by average linkage: a mean over whole groups is steady enough for the
//     lower bar, which rejoins the pieces of a topic that step 1 split
//     where a few words decided.
//  3. Every question left over joins the topic it is most similar to on
//     average if that is at least JoinThreshold. The rest are unclustered.
//
// The share of unrelated pairs above a fixed threshold does not depend on
// how many questions there are, so each question's chance partners grow
// with their number; at thousands of questions they would chain one-offs
// into topics. Steps 1 and 3 therefore raise their bar, from 300 questions
// and 30 topics on, to a level that random pairs of the input pass rarely
// (noise.go). On the labeled sets nothing changes; on 5,000 synthetic
// questions shaped like them purity is 0.82 instead of 0.61, and 23% of
// the one-offs end up in topics instead of 83% (TestClusterSyntheticQuality,
// the Knowledge-gap topics section of BENCHMARKS.md).
//
// Average linkage has a cheap exact form here: the similarity is a dot
// product of concatenated vectors, so the mean similarity between two
// groups is the dot product of their sums divided by their sizes. Groups
// are kept as sums, never as a matrix of pairs, and since a mean reaches
// the threshold only if one of its terms does, only pairs of questions at
// or above the threshold ever need linking. Those pairs share a word, or
// have unusually long centred vectors (the vector part alone is at most
// (1−w)·|v|·|v'|), so they are found through the words' posting lists and
// a norm bound, and most comparisons stop early on a Cauchy–Schwarz bound.
// 5,000 questions with 512-dimensional vectors take about half a second
// of one core (BenchmarkCluster). The worst case, every question sharing
// words with every other, or VectorsOnly, compares all pairs.
//
// # Labels
//
// Class-based tf-idf (c-TF-IDF, as in BERTopic): the questions of each
// topic form one document, the unclustered questions one more, and a term
// (a word or two adjacent words) scores tf·ln(1 + A/f), with tf the number
// of the topic's questions that have it, f the number of all questions
// that have it and A the mean number of terms per document. The label is
// the best three terms joined by " · ", e.g. "refresh token · expired ·
// jwt": a two-word term replaces the words it contains, terms used by a
// single question come only when too few are shared, and topics whose
// labels would coincide get more terms, or a number.
//
// # Tuning
//
// The defaults (TextWeight 0.8, Threshold 0.14, JoinThreshold 0.06) were
// chosen on testdata/questions.json (12 topics × 12 questions and 16
// one-offs, embedded with USE-Lite) by a grid search maximising NMI with
// purity above 0.9, so their numbers there are optimistic.
// testdata/holdout.json (8 topics × 8 questions, 10 one-offs) was written
// after they were frozen: it finds half of its topics, at purity 0.85.
// Another embedding model needs its own tuning.
//
// # Bad input
//
// Cluster skips, and lists in Result.Skipped with the reason, questions
// without a vector, with a vector of another dimension than most, with a
// NaN or infinite value, or with an all-zero vector. A question without
// words (an empty text, or only stop words) is compared by its vector
// alone, so with the default weights it rarely joins a topic. Duplicate
// ids, invalid options and more than MaxQuestions questions are errors.
package topics
