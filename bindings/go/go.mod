// SPDX-License-Identifier: MIT

module libgreen.dev/green

go 1.24
