require ["regex", "variables"];
# TRE expands counted repetitions: 255 x 255 x 255 positions
if header :regex "subject" "((a{255}){255}){255}" { discard; }
if header :regex "subject" ["^[a-z]+$", "(a{255}){255}b"] { discard; }
