#!/usr/bin/env bash
# Debian packages the tests need: Chromium (Playwright cannot download a browser here), NSS tools
# to trust the test room CA, iproute2 for the test network namespace, openssl for CA checks,
# espeak-ng and sox to make the spoken fixtures the voice tests play into a fake microphone, ffmpeg
# to make the fake camera videos (Y4M) the face tests show Chromium, and the fonts Chromium renders
# the OCR tests' photos of text with (tests/support/ocr-photos.ts).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v certutil >/dev/null || need+=(libnss3-tools)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
command -v openssl >/dev/null || need+=(openssl)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
for font in fonts-dejavu-core fonts-liberation fonts-comic-neue; do
  dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q 'ok installed' || need+=("$font")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
