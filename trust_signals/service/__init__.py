"""The read use cases: where store, cache, clock and configuration meet.

`reads.TrustSignals` answers each request kind; `view_keeper` keeps the served View
(`view`) current off the request path; `reports` computes benchmarks and program
comparisons; `cohort_artifacts` is what a load precomputes; `config_versions` follows the
store's active config. No Flask and no concrete store here.
"""
