"""Live channel state for the pages: the runner owns the ARI event streams; each process keeps a replica."""
