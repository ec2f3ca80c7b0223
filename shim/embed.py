#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn the SEAM shim's flat image into a C file the host side links (shim_image[])."""
import sys

data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'w') as out:
    out.write('/* Generated from the SEAM shim\'s image by shim/embed.py. */\n')
    out.write('const unsigned long shim_image_size = %d;\n' % len(data))
    out.write('const unsigned char shim_image[] __attribute__((aligned(16))) = {\n')
    for i in range(0, len(data), 16):
        out.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    out.write('};\n')
