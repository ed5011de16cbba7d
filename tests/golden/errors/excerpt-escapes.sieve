# control bytes and invisible or bidirectional characters are escaped in the
# excerpt, and the caret still lines up under the mistake
if header :is "subject" "ab‮c﻿d" { keep :flagz; }
