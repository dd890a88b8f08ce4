"""Full-text search: one search box over forums, Q&A, members, organizations and
plug-in documents, filtered by the principals each document carries."""
