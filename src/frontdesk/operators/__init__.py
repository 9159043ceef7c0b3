"""Installation operators: the role above organizations that runs the installation itself."""
