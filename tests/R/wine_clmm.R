# Reference values of R's ordinal::clmm / ordinal::clm on the `wine` data.
#
# Usage (from the repository root):
#   Rscript tests/R/wine_clmm.R /path/to/wine.rda
#
# Writes, beside this script:
#   wine_clmm_reference.csv    model, term, estimate, std_error
#   wine_clmm_judge_modes.csv  judge, mode  (conditional modes, clmm_laplace_main)
#   wine_clmm_versions.txt     R and package versions, data checksum
#
# Sign convention (ordinal): logit P(Y <= j) = theta_j - eta, with
# eta = x'beta (+ judge effect). Positive coefficients / modes mean higher ratings.
#
# R is used once to make these files; it is not a dependency of the project.

expected_sha256 <- "ff9ce2c15efebd289aa4e3ff1baf0a881bc80e796b96cd6752920fce4bc40a98"

fail <- function(msg) {
  cat("wine_clmm.R: ", msg, "\n", sep = "", file = stderr())
  quit(save = "no", status = 2)
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1 || !nzchar(args[1]))
  fail("usage: Rscript tests/R/wine_clmm.R /path/to/wine.rda (path to wine.rda missing)")
rda <- args[1]
if (!file.exists(rda)) fail(paste0("no such file: ", rda))

# Output directory: the directory holding this script.
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
if (length(file_arg) != 1) fail("run this script with Rscript so that its location is known")
out_dir <- dirname(normalizePath(sub("^--file=", "", file_arg)))

# Checksum of the data file (R 4.2 has no built-in SHA-256; use coreutils).
sha <- if (exists("sha256sum", envir = asNamespace("tools"))) {
  unname(tools::sha256sum(rda))
} else {
  out <- system2("sha256sum", shQuote(rda), stdout = TRUE)
  sub("\\s.*$", "", out[1])
}
if (!identical(tolower(sha), expected_sha256))
  fail(paste0("sha256 of ", rda, " is ", sha, ", expected ", expected_sha256))

env <- new.env()
load(rda, envir = env)
if (!exists("wine", envir = env, inherits = FALSE)) fail("wine.rda holds no object `wine`")
wine <- get("wine", envir = env)
stopifnot(nrow(wine) == 72L, is.ordered(wine$rating),
          identical(levels(wine$rating), as.character(1:5)))

suppressPackageStartupMessages(library(ordinal))

fits <- list(
  clmm_laplace_main        = clmm(rating ~ temp + contact + (1 | judge), data = wine,
                                  link = "logit"),
  clmm_agq10_main          = clmm(rating ~ temp + contact + (1 | judge), data = wine,
                                  link = "logit", nAGQ = 10),
  clmm_laplace_interaction = clmm(rating ~ temp * contact + (1 | judge), data = wine),
  clm_main                 = clm(rating ~ temp + contact, data = wine)
)

tidy_fit <- function(id, fit) {
  co <- summary(fit)$coefficients
  rows <- data.frame(model = id, term = rownames(co),
                     estimate = unname(co[, "Estimate"]),
                     std_error = unname(co[, "Std. Error"]),
                     stringsAsFactors = FALSE)
  if (inherits(fit, "clmm")) {
    sd_judge <- attr(VarCorr(fit)$judge, "stddev")[[1]]
    rows <- rbind(rows, data.frame(model = id, term = "sd_judge", estimate = sd_judge,
                                   std_error = NA_real_, stringsAsFactors = FALSE))
  }
  rbind(rows, data.frame(model = id, term = c("logLik", "nobs"),
                         estimate = c(as.numeric(logLik(fit)), as.numeric(nobs(fit))),
                         std_error = NA_real_, stringsAsFactors = FALSE))
}

# Convergence diagnostics (printed, and recorded in wine_clmm_versions.txt).
diagnostics <- vapply(names(fits), function(id) {
  fit <- fits[[id]]
  ev <- eigen(fit$Hessian, symmetric = TRUE, only.values = TRUE)$values
  sprintf("%s: logLik %.8f, max|gradient| %.2e, condition number of Hessian %.2e",
          id, as.numeric(logLik(fit)), max(abs(fit$gradient)), max(ev) / min(ev))
}, character(1))
writeLines(diagnostics)

ref <- do.call(rbind, Map(tidy_fit, names(fits), fits))
rownames(ref) <- NULL
fmt <- function(x) ifelse(is.na(x), NA_character_, sprintf("%.12g", x))
ref_out <- transform(ref, estimate = fmt(estimate), std_error = fmt(std_error))
write.csv(ref_out, file.path(out_dir, "wine_clmm_reference.csv"),
          row.names = FALSE, quote = c(1, 2), na = "NA")

re <- ranef(fits$clmm_laplace_main)$judge
modes <- data.frame(judge = rownames(re), mode = fmt(re[[1]]), stringsAsFactors = FALSE)
write.csv(modes, file.path(out_dir, "wine_clmm_judge_modes.csv"),
          row.names = FALSE, quote = 1)

si <- sessionInfo()
versions <- c(
  paste0("R: ", R.version.string),
  paste0("ordinal: ", as.character(packageVersion("ordinal"))),
  paste0("ucminf: ", as.character(packageVersion("ucminf"))),
  paste0("Matrix: ", as.character(packageVersion("Matrix"))),
  paste0("platform: ", si$platform),
  paste0("running: ", si$running),
  paste0("BLAS: ", si$BLAS),
  paste0("LAPACK: ", si$LAPACK),
  paste0("wine.rda sha256: ", sha),
  "",
  "fit diagnostics:",
  paste0("  ", diagnostics)
)
writeLines(versions, file.path(out_dir, "wine_clmm_versions.txt"))

print(ref_out, right = FALSE)
