# constant-false blocks are validated but not generated
if false { discard; }
if not true { discard; }
if allof (true, false) { discard; }
keep;
