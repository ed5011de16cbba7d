# DESIGN.md §1: constant-false blocks are neither validated nor generated
if false { unknowncommand; }
if not true { discard; }
if allof (true, false) { discard; }
keep;
