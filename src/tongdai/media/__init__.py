"""Media: rtpengine, supervised as a child process and driven over its ng protocol."""
