"""Q&A on top of the forums: a question is a topic in a Q&A category, answers are its
replies. This package holds only what is specific to Q&A: votes, accepted answers,
tags, comments, closing, reputation and the Q&A pages."""
