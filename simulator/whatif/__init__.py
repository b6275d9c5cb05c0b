"""What-if planning across runs: variants, sweeps over seeds (local or Ray), statistics, compare."""
