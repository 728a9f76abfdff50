// The held-out digits' words (training/digits.js), in English and Vietnamese.
// Data only: i18n.js registers it (registerStrings). Keys are "feature.name"; {name} is a parameter.

export default {
  "en": {
    "train.ex.mlp-digits": "The chapter's 2-layer network on handwritten digits",
    "train.exDesc.mlp-digits": "8×8 digits (64 pixels) → 32 (relu) → 10 logits, cross-entropy, RMSprop, mini-batches of 128, as the chapter trains its network on MNIST. At the end: the accuracy on 360 held-out digits the training never saw.",
    "heldout.title": "Held-out digits",
    "heldout.testAccuracy": "Test accuracy: {pct}% ({right} of {rows} held-out rows)",
    "heldout.trainAccuracy": "Training accuracy: {pct}%",
    "heldout.trainOnly": "Accuracy on the training rows: {pct}%",
    "heldout.testLoss": "Held-out loss: {loss}",
    "heldout.predictNote": "The predicted class is the largest of the {node} of each row.",
    "heldout.picturesCaption": "The first {count} held-out digits: the class predicted, and the true one",
    "heldout.pictureAria": "Row {row}: predicted {predicted}, true {label}",
    "heldout.predicted": "predicted {predicted}",
    "heldout.label": "true {label}",
    "heldout.atEnd": "Accuracy is measured with the final params: run to the end to see it."
  },
  "vi": {
    "train.ex.mlp-digits": "Mạng neuron 2 lớp của chương trên chữ số viết tay",
    "train.exDesc.mlp-digits": "Ảnh chữ số 8×8 (64 điểm ảnh) → 32 (relu) → 10 logit, cross-entropy, RMSprop, mini-batch 128, giống như chương huấn luyện mạng của mình trên MNIST. Ở cuối: độ chính xác trên 360 chữ số để riêng mà quá trình huấn luyện chưa từng thấy.",
    "heldout.title": "Các chữ số để riêng",
    "heldout.testAccuracy": "Độ chính xác trên tập kiểm tra: {pct}% (đúng {right} trên {rows} dòng để riêng)",
    "heldout.trainAccuracy": "Độ chính xác trên tập huấn luyện: {pct}%",
    "heldout.trainOnly": "Độ chính xác trên các dòng huấn luyện: {pct}%",
    "heldout.testLoss": "Loss trên tập kiểm tra: {loss}",
    "heldout.predictNote": "Lớp dự đoán là vị trí lớn nhất của {node} ở mỗi dòng.",
    "heldout.picturesCaption": "{count} chữ số đầu tiên của tập kiểm tra: lớp mô hình dự đoán và lớp đúng",
    "heldout.pictureAria": "Dòng {row}: dự đoán {predicted}, đúng là {label}",
    "heldout.predicted": "dự đoán {predicted}",
    "heldout.label": "đúng: {label}",
    "heldout.atEnd": "Độ chính xác được đo bằng các tham số cuối cùng: hãy chạy đến cuối để xem."
  }
};
