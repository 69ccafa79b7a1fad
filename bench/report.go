package bench

func renderReport(r *Results) string { return "# Benchmarks\n" }
