package topics

import "testing"

// BenchmarkCluster clusters 5,000 synthetic questions with 512-dimensional
// vectors (see syntheticSet): 150 planted topics and 40% one-offs. Besides
// wall time it reports the process's CPU time per operation, which is
// what one core spends even when the machine is shared.
func BenchmarkCluster(b *testing.B) {
	benchmarkCluster(b, Options{})
}

// BenchmarkClusterVectorsOnly is the slow path: without words, every pair
// of questions is compared (about 6.5 s of CPU for 5,000).
func BenchmarkClusterVectorsOnly(b *testing.B) {
	benchmarkCluster(b, Options{VectorsOnly: true})
}

func benchmarkCluster(b *testing.B, opts Options) {
	qs, _ := syntheticSet(5000, 512, 150, 0.4, 1)
	b.ReportAllocs()
	var topics int
	start := cpuTime()
	for b.Loop() {
		res, err := Cluster(qs, opts)
		if err != nil {
			b.Fatal(err)
		}
		topics = len(res.Topics)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(topics), "topics")
}
