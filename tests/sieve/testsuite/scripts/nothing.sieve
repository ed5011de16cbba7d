# does nothing
