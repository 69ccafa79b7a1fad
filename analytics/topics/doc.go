// Package topics finds the topics people keep asking about: it clusters
// user questions by meaning and labels each cluster with its most
// distinctive words, for the "knowledge gaps" report.
//
// It is pure computation: it owns no storage, does no I/O and embeds
// nothing. The caller passes each question's text (already redacted) and
// its embedding; Cluster returns the topics, the questions that belong to
// none, and the questions it skipped for an unusable vector. The same
// questions in any order give exactly the same result: every tie is broken
// by question id, and nothing is random.
//
// # Similarity
//
// Two questions are similar by their vectors and by their words:
//
//	sim = (1−w)·(centred vector · centred vector) + w·(tf-idf · tf-idf)
//
// with w = TextWeight (0.8). The vectors are centred: the mean vector of
// the input is subtracted, because embedding models put all developer
// questions in a narrow cone (under USE-Lite two unrelated questions have
// a cosine of 0.39 on average, two on one topic 0.48) and raw cosines
// would make every threshold depend on that offset. The words are
// lower-cased and lightly stemmed, stop words and the words every question
// to an assistant shares ("how", "error", "fix", "get", "work") are left
// out, and code identifiers stay whole (context.WithCancel, useEffect)
// while their parts count too (TokenExpiredError also counts as "token"
// and "expired").
//
// Words carry most of the weight because on short developer questions the
// built-in model alone is weak: on testdata/questions.json a question's
// nearest neighbour is on its topic for 54% of the questions by the
// vectors' cosine, 73% by the words', 80% by the mix (see
// TestSimilarityChoice). The vectors still matter: clustering with the
// words alone (w = 1) finds far fewer topic questions.
//
// # Clustering
//
// Average-linkage agglomerative clustering with a threshold, then a merge
// and attach step:
//
//  1. Merge the two groups with the highest mean similarity between their
//     questions, while it is at least Threshold (0.14). One-off questions
//     stay alone, and no number of topics has to be guessed in advance,
//     unlike k-means, which also puts every one-off into some cluster.
//  2. Groups of at least MinClusterSize (3) questions are topics. Topics
//     whose mean similarity is at least JoinThreshold (0.06) merge, again
//     by average linkage: means over whole groups are steady enough for
//     the lower bar, which rejoins the pieces of one topic that step 1
//     split where a few words decided.
//  3. Every question left over joins the topic it is most similar to on
//     average, if that is at least JoinThreshold; the rest are
//     unclustered.
//
// Average linkage has a cheap exact form here: the similarity is a dot
// product of concatenated vectors, so the mean similarity between two
// groups is the dot product of their sums divided by their sizes. Groups
// are kept as sums, never as a matrix of pairs, and since a mean reaches
// the threshold only if one of its terms does, only pairs of questions at
// or above the threshold are ever linked. Those pairs share a word or have
// unusually long centred vectors (a vector part alone is at most
// (1−w)·|v|·|v'|), so they are found through the words' posting lists and
// a norm bound, without comparing most pairs. 5,000 questions with
// 512-dimensional vectors take well under a second on one core
// (BenchmarkCluster); the worst case, every question sharing words with
// every other, compares all pairs.
//
// # Labels
//
// Class-based tf-idf (c-TF-IDF, as in BERTopic): each topic's questions
// form one document, the unclustered questions one more, and a term (a
// word or two adjacent words) scores tf·ln(1 + A/f), with tf the number of
// the topic's questions that have it, f the number of all questions that
// have it and A the mean number of terms per document. A label is the
// best three terms joined by " · ", e.g. "refresh token · expired · jwt";
// a word inside a chosen two-word term is not repeated, and topics whose
// labels would coincide get more terms.
//
// # Tuning
//
// The defaults (TextWeight 0.8, Threshold 0.14, JoinThreshold 0.06) were
// chosen on testdata/questions.json, 12 topics × 12 questions and 16
// one-offs embedded with USE-Lite, by a grid search maximising NMI while
// keeping purity above 0.9; TestClusterEvaluation reports the numbers, and
// testdata/holdout.json, written after the defaults were frozen, checks
// them on questions they were not tuned on. Another embedding model needs
// its own tuning.
//
// # Bad input
//
// Cluster skips, and lists in Result.Skipped, questions without a vector,
// with a vector of another dimension than most, with NaN or infinite
// values, or with an all-zero vector. A question without words (an empty
// text, or only stop words) is clustered by its vector alone, so with the
// default weights it rarely joins a topic. Duplicate ids, invalid options
// and more than MaxQuestions questions are errors.
package topics
