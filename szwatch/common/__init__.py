"""Small helpers every wing uses (numerals, Asia/Shanghai time, logging): the bottom floor."""
