# header needs two positional arguments; exists needs one
if header "subject" { keep; }
if exists { keep; }
