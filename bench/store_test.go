package bench

// This file is reserved for the in-memory revocation store's benchmarks,
// which cmd/report shows under "Revocation store" as
// BenchmarkStore/<store>/<case>:
//
//   - bytes per revoked entry: the heap growth (runtime.MemStats.HeapAlloc
//     after a GC) from revoking one million distinct token IDs and session
//     IDs, divided by one million, reported with b.ReportMetric as B/entry;
//   - lookup cost at one million entries: the revocation check a guard makes,
//     on a store holding one million entries, for an ID that is revoked and
//     for one that is not, in sequence and under b.RunParallel;
//   - the whole RequireAccess with the store configured, against the same
//     guard without it.
//
// They need the store, which is not in this tree yet.
