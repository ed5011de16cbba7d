# a byte order mark anywhere but the start is named, not echoed raw
keep;﻿ stop;
