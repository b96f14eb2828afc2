// The "was my draw fair?" check (docs/portal.md); filled in the next commit.
