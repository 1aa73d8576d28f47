#!/bin/bash
# xunshare --kill-child=SIGNAL against util-linux unshare: signal names as util-linux's signal
# table reads them, and its refusals. The parse alone, which no kernel changes: host only.
. "$(dirname "$0")/lib.sh"
X=("$XUNSHARE")
UL=(unshare)

# --kill-child=SIGNAL: util-linux's signal table (names with or without SIG in any case, the
# aliases, RTMIN+N, RTMAX-N, RTN), and its refusals; util-linux 2.38 reads them the same way.
span=$(( $(kill -l RTMAX) - $(kill -l RTMIN) ))
for s in TERM sigterm SiGkIlL IOT SIGCLD POLL PWR STKFLT RTMIN+1 rtmin+1 SIGRTMAX-2 RT0 RT1 \
         SIGRT3 RTMIN+01 RTMIN+1x "RTMIN+$span" "RTMAX-$span" BOGUS SIG SIGSIGKILL UNUSED KIL \
         rt+1 RT RTMIN+ RTMAX- RTMIN+-1 "RTMIN+ 1" RTMIN-1 "RTMIN+$((span + 1))" \
         "RTMAX-$((span + 1))" "RT$((span + 1))" RTMIN+99999999999999999999; do
  like_unshare "--kill-child=$s as util-linux's" --kill-child="$s" sh -c 'echo ran'
done
plan $_tap_n
done_testing
