"""Answers from the city's own pages: the knowledge base, its index and its answers.

The city keeps its content as Markdown files with front matter (`actions/data/knowledge/`
or KNOWLEDGE_DIR); the flows' service descriptions join them. A question no flow covers is
answered with the best passage and its source, or honestly not at all.
"""
