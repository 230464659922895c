package clinic

// ListQuery exposes the couples list query to the benchmark's EXPLAIN.
var ListQuery = listQuery

// EncodeCursor exposes the cursor encoding.
var EncodeCursor = encodeCursor
