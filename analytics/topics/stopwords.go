package topics

// stopWords are left out of labels and of the text similarity: English
// function words, and the words every question to a coding assistant
// shares whatever its topic ("how", "why", "error", "fix", "please",
// "can", "get", "work", "code"). Keys are lower case; stemmed keys of the
// generic verbs are listed too, since plain words are stemmed before the
// lookup.
var stopWords = makeSet(
	// English function words.
	"a", "about", "above", "after", "again", "against", "all", "almost", "along", "already", "also", "although",
	"always", "am", "among", "an", "and", "another", "any", "anyone", "anything", "anyway", "are", "aren't",
	"around", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
	"can't", "cannot", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during",
	"each", "eg", "e.g", "either", "else", "enough", "etc", "even", "ever", "every", "few", "for", "from",
	"further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "her", "here", "hers",
	"herself", "him", "himself", "his", "i", "i'd", "i'll", "i'm", "i've", "ie", "i.e", "if", "in", "into",
	"is", "isn't", "it", "it'd", "it'll", "it's", "its", "itself", "let", "let's", "many", "me", "might",
	"mine", "more", "most", "much", "must", "mustn't", "my", "myself", "no", "nor", "not", "now", "of", "off",
	"often", "on", "once", "only", "onto", "or", "other", "others", "otherwise", "our", "ours", "ourselves",
	"out", "over", "own", "per", "quite", "rather", "same", "several", "shall", "she", "shouldn't", "since",
	"so", "some", "somehow", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves",
	"then", "there", "there's", "these", "they", "they're", "this", "those", "though", "through", "thus",
	"to", "too", "toward", "towards", "under", "until", "up", "upon", "us", "very", "via", "vs", "versus",
	"was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "whatever", "whether",
	"while", "will", "with", "within", "without", "won't", "wouldn't", "yet", "you", "you'd", "you'll",
	"you're", "you've", "your", "yours", "yourself", "yourselves", "ok", "okay", "yes",
	"one", "two", "three", "first", "second", "last", "next", "new", "old", "lot", "lots", "bit",
	"just", "really", "actually", "basically", "still", "instead", "maybe", "perhaps", "probably",
	"sometimes", "somewhere", "never", "again", "right", "away", "back", "forever", "properly", "correctly",
	"thing", "things", "stuff", "something", "someone", "somebody", "everything", "everyone", "nothing",
	"way", "ways", "kind", "sort", "like", "unlike", "well", "good", "better", "best", "bad", "proper",
	"correct", "wrong", "possible", "sure", "able", "different", "difference", "same", "whole",
	"simple", "simply", "easy", "easiest", "hard", "fine", "real", "really", "re", "non", "pre", "un",

	// Question words and the asking itself.
	"how", "why", "what", "what's", "when", "where", "which", "who", "whom", "whose", "how's", "why's",
	"where's", "can", "could", "would", "should", "may", "please", "pls", "thanks", "thank", "hi", "hello",
	"hey", "question", "questions", "explain", "explained", "tell", "show", "shows", "showing", "know",
	"understand", "mean", "means", "meaning", "idea", "suggest", "recommend", "recommended", "advice",
	"help", "helps", "want", "wants", "wanted", "need", "needs", "needed", "trying", "try", "tried", "tries",
	"seem", "seems", "seemed", "look", "looks", "looking", "see", "sees", "saw", "find", "finds", "found",
	"think", "guess", "wonder", "anybody",

	// Words every coding question shares whatever its topic.
	"error", "errors", "fix", "fixes", "fixed", "fixing", "issue", "issues", "problem", "problems", "bug",
	"bugs", "get", "gets", "getting", "got", "gotten", "make", "makes", "making", "made", "use", "uses",
	"used", "using", "do", "done", "work", "works", "worked", "working", "keep", "keeps", "kept",
	"happen", "happens", "happened", "happening", "go", "goes", "going", "went", "gone", "come", "comes",
	"coming", "came", "put", "puts", "give", "gives", "gave", "take", "takes", "took", "taken", "set",
	"add", "adds", "added", "adding", "change", "changes", "changed", "changing", "code", "write",
	"writes", "writing", "wrote", "written", "say", "says", "said", "correct", "idiomatic", "usual",
	"usually", "case", "cases", "example", "examples", "instance", "option", "options", "approach",
	"solution", "solutions", "handle", "handling", "handled", "deal", "implement", "implementing",
	"run", "runs", "running", "ran", "fail", "fails", "failing", "failed", "failure", "failures",
	"start", "starts", "started", "starting", "stop", "stops", "stopped", "time", "times", "now",

	// The same generic words after stemming (makeWord stems before the
	// second lookup).
	"fix", "issu", "problem", "mak", "us", "work", "happen", "com", "tak", "giv", "chang", "writ", "cas",
	"exampl", "solut", "handl", "implement", "fail", "failur", "start", "stop", "tim", "try", "tri",
	"explain", "look", "seem", "ne", "want", "differ", "differenc", "question",
)

func makeSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
