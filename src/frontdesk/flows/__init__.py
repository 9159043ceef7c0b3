"""Bot flows: the graph, versions, the engine, nodes and triggers."""
